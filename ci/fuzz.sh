#!/bin/sh
# fuzz.sh SRCDIR WORKDIR - libFuzzer campaign (clang, AddressSanitizer and
# UndefinedBehaviorSanitizer) on eshm's four parsers of untrusted input:
#
#   proto_parse   a control datagram from any local process
#   seg_validate  a status block and an endpoint block someone else wrote,
#                 validated and read as a client reads them
#   settings      eshmd's configuration file
#   records       eshmd's records of its segments, read back at restart
#
# Each target first replays the seed corpus in fuzz/corpus/, then fuzzes
# for $FUZZ_SECONDS (default 60) from a working copy of it in WORKDIR.
# One test point per replay and per run; a crash's input is kept in
# WORKDIR/fuzz/crashes/.  Environment: FUZZ_SECONDS, FUZZ_TARGETS, CC.
set -u
. "$(dirname "$0")/lib.sh"
ci_init "$@"

seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-"proto_parse seg_validate settings records"}
cc=${CC:-clang}
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-g -O1 -fno-omit-frame-pointer $san"

ci_configure CC="$cc" CFLAGS="$cflags -fsanitize=fuzzer-no-link" --disable-silent-rules ||
	ci_build_failed "configure with $cc"
ci_make common/libeshm-common.la || ci_build_failed "common/libeshm-common.la"

inc="-I$ci_src/include -I$ci_src/common -I$ci_src/daemon -I$ci_build -D_GNU_SOURCE"
common_a=$ci_build/common/.libs/libeshm-common.a
for t in $targets; do
	extra=""
	[ "$t" = settings ] && extra="$ci_src/daemon/settings.c $(pkg-config --cflags --libs inih)"
	[ "$t" = records ] && extra="$ci_src/daemon/records.c $ci_src/daemon/log.c $(pkg-config --cflags --libs libsystemd)"
	ci_log "build fuzz_$t"
	# shellcheck disable=SC2086
	"$cc" -std=gnu11 $cflags -fsanitize=fuzzer $inc -o "$ci_work/fuzz_$t" \
		"$ci_src/fuzz/fuzz_$t.c" $extra "$common_a" -pthread \
		>"$ci_work/build_$t.log" 2>&1 || {
		cat "$ci_work/build_$t.log"
		ci_bad "build fuzz_$t"
		continue
	}

	seeds=$ci_src/fuzz/corpus/$t
	corpus=$ci_work/corpus/$t
	crashes=$ci_work/crashes/$t
	mkdir -p "$corpus" "$crashes"
	cp "$seeds"/* "$corpus"/ 2>/dev/null

	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
	if "$ci_work/fuzz_$t" -runs=0 "$seeds" >"$ci_work/replay_$t.log" 2>&1; then
		ci_ok "fuzz_$t replays $(ls "$seeds" | wc -l) seeds"
	else
		tail -40 "$ci_work/replay_$t.log"
		ci_bad "fuzz_$t replay of the seed corpus"
	fi

	log=$ci_work/run_$t.log
	if "$ci_work/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len=8192 -print_final_stats=1 -artifact_prefix="$crashes/" \
		"$corpus" >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		cov=$(grep -E '^#[0-9]+.*cov:' "$log" | tail -1 | sed -n 's/.*cov: \([0-9]*\).*ft: \([0-9]*\).*/cov \1 ft \2/p')
		ci_ok "fuzz_$t ${seconds}s: ${execs:-?} inputs, $cov, corpus $(ls "$corpus" | wc -l), no crash"
	else
		grep -E -A30 '^==[0-9]+==ERROR|runtime error|deadly signal|Test unit written' "$log" | head -60
		ci_bad "fuzz_$t found a crash; input in $crashes/"
	fi
done
ci_finish

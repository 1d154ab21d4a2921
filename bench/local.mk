# bench/local.mk - eshm-bench: eshm against its peers in one run
# (docs/PERFORMANCE.md).  Included by the top Makefile.am.
#
# `make bench` runs the full benchmark; `make check` runs it in --quick
# mode (bench/check-quick.sh), which proves it runs and never judges a
# timing.
noinst_PROGRAMS += bench/eshm-bench
bench_eshm_bench_SOURCES = bench/bench.h bench/main.c bench/report.c bench/stats.c \
	bench/copycost.c \
	bench/daemon.c bench/roundtrip.c bench/rtpair.c \
	bench/peer_floor.c bench/peer_mutex.c bench/peer_fd.c bench/peer_mq.c bench/peer_kill.c \
	bench/eshm_seqlock.c bench/eshm_api.c bench/eshm_roundtrip.c bench/eshm_throughput.c bench/eshm_observers.c \
	bench/eshm_loan.c \
	bench/eshm_heartbeat.c bench/eshm_detect.c bench/eshm_scale.c
bench_eshm_bench_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
bench_eshm_bench_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
bench_eshm_bench_LDADD = tests/libeshm-harness.la libclient/libeshm-client.la \
	common/libeshm-common.la $(JSONC_LIBS) $(PTHREAD_LIBS) -lrt
# Peers measured when their development files were found (configure.ac).
if ESHM_BENCH_ZMQ
bench_eshm_bench_SOURCES += bench/peer_zmq.c
bench_eshm_bench_CFLAGS += $(ZMQ_CFLAGS)
bench_eshm_bench_LDADD += $(ZMQ_LIBS)
endif
if ESHM_BENCH_ICEORYX
bench_eshm_bench_SOURCES += bench/peer_iox.c
bench_eshm_bench_CFLAGS += $(ICEORYX_CFLAGS)
bench_eshm_bench_LDADD += $(ICEORYX_LIBS)
endif
EXTRA_DIST += bench/peer_zmq.c bench/peer_iox.c
dist_noinst_SCRIPTS += bench/check-quick.sh
TESTS += bench/check-quick.sh
.PHONY: bench
bench: bench/eshm-bench daemon/eshmd
	$(builddir)/bench/eshm-bench --eshmd $(builddir)/daemon/eshmd $(BENCH_FLAGS)

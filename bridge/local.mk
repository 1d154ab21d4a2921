# bridge/local.mk - eshm-bridge, a segment carried between two hosts over
# Cyclone DDS (docs/bridge.md), and its tests.  Built only when configure
# found Cyclone DDS (ESHM_BRIDGE); its sources are distributed either way.
# Included by the top Makefile.am.
EXTRA_DIST += bridge/eshm_bridge.idl bridge/eshm-bridge.conf.example
dist_noinst_SCRIPTS += bridge/tests/test_bridge_netns.sh bridge/tests/test_bridge_unit.sh \
	bridge/tests/bench_bridge.sh bridge/tests/test_bridge_security.sh
EXTRA_DIST += bridge/tests/brg_lib.sh bridge/tests/brg_pki.sh bridge/tests/brg_sniff.py

if ESHM_BRIDGE
# The topic types, compiled from the IDL at build time into the build
# folder; idlc writes the .c and the .h in one run.
bridge/eshm_bridge.c: $(srcdir)/bridge/eshm_bridge.idl
	$(AM_V_GEN)$(MKDIR_P) bridge && $(IDLC) -o bridge $(srcdir)/bridge/eshm_bridge.idl
bridge/eshm_bridge.h: bridge/eshm_bridge.c
	@test -f $@ || { rm -f bridge/eshm_bridge.c && $(MAKE) $(AM_MAKEFLAGS) bridge/eshm_bridge.c; }
CLEANFILES += bridge/eshm_bridge.c bridge/eshm_bridge.h

# Everything but main(), so the unit tests link what the program runs.
noinst_LTLIBRARIES += bridge/libeshm-bridge.la
bridge_libeshm_bridge_la_SOURCES = \
	bridge/brg_err.h bridge/brg_err.c \
	bridge/brg_log.h bridge/brg_log.c \
	bridge/brg_topic.h bridge/brg_topic.c \
	bridge/brg_config.h bridge/brg_config.c \
	bridge/brg_ddsconf.h bridge/brg_ddsconf.c \
	bridge/brg_ddslog.h bridge/brg_ddslog.c \
	bridge/brg_remote.h bridge/brg_remote.c \
	bridge/brg_local.h bridge/brg_local.c \
	bridge/brg_dds.h bridge/brg_dds.c \
	bridge/brg_bridge.h bridge/brg_bridge.c \
	bridge/brg_state.h bridge/brg_state.c \
	bridge/brg_pump.h bridge/brg_pump.c \
	bridge/brg_sink.h bridge/brg_sink.c \
	bridge/brg_proxy.h bridge/brg_proxy.c \
	bridge/brg_notify.h bridge/brg_notify.c \
	bridge/brg_run.h bridge/brg_run.c \
	bridge/brg_cli.h bridge/brg_cli.c
nodist_bridge_libeshm_bridge_la_SOURCES = bridge/eshm_bridge.c bridge/eshm_bridge.h
ESHM_BRIDGE_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_builddir)/bridge -I$(top_srcdir)/bridge
ESHM_BRIDGE_CFLAGS = $(AM_CFLAGS) $(CYCLONEDDS_CFLAGS) $(INIH_CFLAGS) $(LIBSYSTEMD_CFLAGS)
bridge_libeshm_bridge_la_CPPFLAGS = $(ESHM_BRIDGE_CPPFLAGS)
bridge_libeshm_bridge_la_CFLAGS = $(ESHM_BRIDGE_CFLAGS)
bridge_libeshm_bridge_la_LIBADD = libclient/libeshm-client.la common/libeshm-common.la \
	$(CYCLONEDDS_LIBS) $(INIH_LIBS) $(LIBSYSTEMD_LIBS) $(PTHREAD_LIBS)
$(bridge_libeshm_bridge_la_OBJECTS): bridge/eshm_bridge.h

sbin_PROGRAMS += bridge/eshm-bridge
bridge_eshm_bridge_SOURCES = bridge/brg_main.c
bridge_eshm_bridge_CPPFLAGS = $(ESHM_BRIDGE_CPPFLAGS)
bridge_eshm_bridge_CFLAGS = $(ESHM_BRIDGE_CFLAGS)
bridge_eshm_bridge_LDADD = bridge/libeshm-bridge.la
endif

if ESHM_BRIDGE
# tests: two hosts made of network namespaces (root only, else skipped),
# and the local programs they run
TESTS += bridge/tests/test_bridge_netns.sh bridge/tests/test_bridge_unit.sh \
	bridge/tests/test_bridge_security.sh
check_PROGRAMS += bridge/tests/brg-peer
bridge_tests_brg_peer_SOURCES = bridge/tests/brg_peer.c bridge/tests/brg_rtt.h
bridge_tests_brg_peer_LDADD = libclient/libeshm-client.la $(PTHREAD_LIBS)

# The bridge's row of `make bench`: its round trip over a veth pair beside
# a plain Cyclone DDS ping-pong on the same link (root only).
check_PROGRAMS += bridge/tests/brg-ddsping
bridge_tests_brg_ddsping_SOURCES = bridge/tests/brg_ddsping.c bridge/tests/brg_rtt.h
nodist_bridge_tests_brg_ddsping_SOURCES = bridge/eshm_bridge.c bridge/eshm_bridge.h
bridge_tests_brg_ddsping_CPPFLAGS = $(ESHM_BRIDGE_CPPFLAGS)
bridge_tests_brg_ddsping_CFLAGS = $(ESHM_BRIDGE_CFLAGS)
bridge_tests_brg_ddsping_LDADD = $(CYCLONEDDS_LIBS)
$(bridge_tests_brg_ddsping_OBJECTS): bridge/eshm_bridge.h

# The eavesdropper of test_bridge_security.sh: a plain DDS reader on the link.
check_PROGRAMS += bridge/tests/brg-ddsspy
bridge_tests_brg_ddsspy_SOURCES = bridge/tests/brg_ddsspy.c
nodist_bridge_tests_brg_ddsspy_SOURCES = bridge/eshm_bridge.c bridge/eshm_bridge.h
bridge_tests_brg_ddsspy_CPPFLAGS = $(ESHM_BRIDGE_CPPFLAGS)
bridge_tests_brg_ddsspy_CFLAGS = $(ESHM_BRIDGE_CFLAGS)
bridge_tests_brg_ddsspy_LDADD = $(CYCLONEDDS_LIBS)
$(bridge_tests_brg_ddsspy_OBJECTS): bridge/eshm_bridge.h
ESHM_BRIDGE_BUILT = yes
endif

# `make bench` runs bench-bridge too; without the bridge it says so.
.PHONY: bench-bridge
bench: bench-bridge
bench-bridge:
	@if test "$(ESHM_BRIDGE_BUILT)" = yes; then \
		$(MAKE) $(AM_MAKEFLAGS) bridge/eshm-bridge bridge/tests/brg-peer \
			bridge/tests/brg-ddsping daemon/eshmd && \
		ESHM_TEST_BUILDDIR='$(abs_top_builddir)' ESHM_TEST_SRCDIR='$(abs_top_srcdir)' \
			$(SHELL) $(srcdir)/bridge/tests/bench_bridge.sh; \
	else \
		echo "bench-bridge: eshm-bridge is not built (configure --enable-bridge)"; \
	fi

if ESHM_BRIDGE
# tests: unit tests of the bridge's pure parts (cmocka)
ESHM_BRIDGE_UNIT_TESTS = bridge/tests/test_brg_topic bridge/tests/test_brg_config \
	bridge/tests/test_brg_remote bridge/tests/test_brg_proxy
check_PROGRAMS += $(ESHM_BRIDGE_UNIT_TESTS)
TESTS += $(ESHM_BRIDGE_UNIT_TESTS)
ESHM_BRIDGE_TEST_LDADD = bridge/libeshm-bridge.la $(CMOCKA_LIBS)
bridge_tests_test_brg_topic_CPPFLAGS = $(ESHM_BRIDGE_CPPFLAGS)
bridge_tests_test_brg_topic_CFLAGS = $(ESHM_BRIDGE_CFLAGS) $(CMOCKA_CFLAGS)
bridge_tests_test_brg_topic_LDADD = $(ESHM_BRIDGE_TEST_LDADD)
bridge_tests_test_brg_config_CPPFLAGS = $(ESHM_BRIDGE_CPPFLAGS)
bridge_tests_test_brg_config_CFLAGS = $(ESHM_BRIDGE_CFLAGS) $(CMOCKA_CFLAGS)
bridge_tests_test_brg_config_LDADD = $(ESHM_BRIDGE_TEST_LDADD)
bridge_tests_test_brg_remote_CPPFLAGS = $(ESHM_BRIDGE_CPPFLAGS)
bridge_tests_test_brg_remote_CFLAGS = $(ESHM_BRIDGE_CFLAGS) $(CMOCKA_CFLAGS)
bridge_tests_test_brg_remote_LDADD = $(ESHM_BRIDGE_TEST_LDADD)
bridge_tests_test_brg_proxy_CPPFLAGS = $(ESHM_BRIDGE_CPPFLAGS)
bridge_tests_test_brg_proxy_CFLAGS = $(ESHM_BRIDGE_CFLAGS) $(CMOCKA_CFLAGS)
bridge_tests_test_brg_proxy_LDADD = $(ESHM_BRIDGE_TEST_LDADD) $(PTHREAD_LIBS)
endif

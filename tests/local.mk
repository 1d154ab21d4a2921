# tests/local.mk - the test suite `make check` runs: unit tests (cmocka),
# integration tests against a private eshmd (tests/harness.h) and shell
# tests.  Included by the top Makefile.am.
#
# The private eshmd, child processes and waits (tests/harness.h): built
# with the programs, since eshm-bench starts its eshmd with it too.
noinst_LTLIBRARIES += tests/libeshm-harness.la
tests_libeshm_harness_la_SOURCES = tests/harness.h tests/harness.c

# eshmd's control protocol spoken raw, for the daemon's own tests.
check_LTLIBRARIES += tests/libeshm-rawclient.la
tests_libeshm_rawclient_la_SOURCES = tests/raw_client.h tests/raw_client.c \
	tests/user_util.h tests/user_util.c
ESHM_DAEMON_TEST_LDADD = tests/libeshm-rawclient.la tests/libeshm-harness.la \
	common/libeshm-common.la $(CMOCKA_LIBS) $(PTHREAD_LIBS)

# Every test prints TAP (cmocka with CMOCKA_MESSAGE_OUTPUT=TAP, or a shell
# script), read by automake's tap-driver.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/tap-skip.sh
AM_TESTS_ENVIRONMENT = \
	CMOCKA_MESSAGE_OUTPUT=TAP; export CMOCKA_MESSAGE_OUTPUT; \
	ESHM_TEST_BUILDDIR='$(abs_top_builddir)'; export ESHM_TEST_BUILDDIR; \
	ESHM_TEST_SRCDIR='$(abs_top_srcdir)'; export ESHM_TEST_SRCDIR; \
	ESHM_TEST_CC='$(CC)'; export ESHM_TEST_CC; \
	ESHM_TEST_CFLAGS='$(CFLAGS)'; export ESHM_TEST_CFLAGS;

# tests: daemon (settings parser; eshmd's protocol spoken raw)
ESHM_DAEMON_TESTS = tests/test_daemon_protocol tests/test_daemon_memfd tests/test_daemon_limits \
	tests/test_daemon_restart
check_PROGRAMS += tests/test_settings $(ESHM_DAEMON_TESTS)
TESTS += tests/test_settings $(ESHM_DAEMON_TESTS)
tests_test_settings_SOURCES = tests/test_settings.c daemon/settings.h daemon/settings.c
tests_test_settings_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon
tests_test_settings_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(INIH_CFLAGS)
tests_test_settings_LDADD = $(CMOCKA_LIBS) $(INIH_LIBS)
tests_test_daemon_protocol_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_daemon_protocol_LDADD = $(ESHM_DAEMON_TEST_LDADD)
EXTRA_tests_test_daemon_protocol_DEPENDENCIES = daemon/eshmd
tests_test_daemon_memfd_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_daemon_memfd_LDADD = $(ESHM_DAEMON_TEST_LDADD)
EXTRA_tests_test_daemon_memfd_DEPENDENCIES = daemon/eshmd
tests_test_daemon_limits_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_daemon_limits_LDADD = $(ESHM_DAEMON_TEST_LDADD)
EXTRA_tests_test_daemon_limits_DEPENDENCIES = daemon/eshmd
tests_test_daemon_restart_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_daemon_restart_LDADD = $(ESHM_DAEMON_TEST_LDADD)
EXTRA_tests_test_daemon_restart_DEPENDENCIES = daemon/eshmd

# tests: ctl (eshmctl run as a process against a private eshmd)
check_PROGRAMS += tests/test_eshmctl
TESTS += tests/test_eshmctl
tests_test_eshmctl_SOURCES = tests/test_eshmctl.c tests/ctl_util.h tests/ctl_util.c
tests_test_eshmctl_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JSONC_CFLAGS)
tests_test_eshmctl_LDADD = tests/libeshm-testutil.la tests/libeshm-harness.la \
	libclient/libeshm-client.la $(CMOCKA_LIBS) $(JSONC_LIBS) $(PTHREAD_LIBS)
EXTRA_tests_test_eshmctl_DEPENDENCIES = ctl/eshmctl daemon/eshmd
check_PROGRAMS += tests/test_ctl_events
TESTS += tests/test_ctl_events
tests_test_ctl_events_SOURCES = tests/test_ctl_events.c tests/ctl_util.h tests/ctl_util.c
tests_test_ctl_events_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JSONC_CFLAGS)
tests_test_ctl_events_LDADD = $(tests_test_eshmctl_LDADD)
EXTRA_tests_test_ctl_events_DEPENDENCIES = ctl/eshmctl daemon/eshmd

# tests: systemd (man pages, install and units, sd_notify, socket
# activation; tests/vm/run-vm-test.sh boots them under a real systemd in CI)
check_PROGRAMS += tests/vm/eshm-pingpong tests/test_systemd_notify
tests_vm_eshm_pingpong_SOURCES = tests/vm/eshm-pingpong.c
tests_vm_eshm_pingpong_LDADD = libclient/libeshm-client.la
tests_test_systemd_notify_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_systemd_notify_LDADD = $(ESHM_DAEMON_TEST_LDADD)
EXTRA_tests_test_systemd_notify_DEPENDENCIES = daemon/eshmd
TESTS += tests/test_man_lint.sh tests/test_catalog.sh tests/test_systemd_notify \
	tests/test_systemd_socket_activation.sh tests/test_systemd_install.sh
dist_noinst_SCRIPTS += tests/test_man_lint.sh tests/test_catalog.sh \
	tests/test_systemd_socket_activation.sh \
	tests/test_systemd_install.sh tests/vm/run-vm-test.sh tests/vm/vm-checks.sh \
	tests/vm/vm-package-checks.sh \
	tests/tap.sh tests/tap-skip.sh
EXTRA_DIST += tests/vm/eshm-vm-test.service tests/vm/eshm-never-ready.service \
	tests/vm/vm-lib.sh

# tests: reliability (hostile input, faults, security against a private
# eshmd).  Campaign sizes come from $ESHM_FAULT_*; these are the short
# `make check` sizes, ci/faults.sh runs the full ones.
check_LTLIBRARIES += tests/libeshm-faultutil.la
tests_libeshm_faultutil_la_SOURCES = tests/fault_util.h tests/fault_util.c \
	tests/cpu_witness.h tests/cpu_witness.c
ESHM_RELIABILITY_TESTS = tests/test_security \
	tests/test_hostile_shm \
	tests/test_hostile_client \
	tests/test_fault_churn \
	tests/test_fault_stale_load \
	tests/test_fault_daemon_restart \
	tests/test_fault_writer_kill \
	tests/test_vandal \
	tests/test_container
check_PROGRAMS += $(ESHM_RELIABILITY_TESTS)
TESTS += $(ESHM_RELIABILITY_TESTS)
ESHM_RELIABILITY_LDADD = tests/libeshm-faultutil.la $(ESHM_CORE_TEST_LDADD)
tests_test_fault_writer_kill_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_fault_writer_kill_LDADD = $(ESHM_RELIABILITY_LDADD)
tests_test_security_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_security_LDADD = $(ESHM_RELIABILITY_LDADD)
tests_test_hostile_shm_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_hostile_shm_LDADD = $(ESHM_RELIABILITY_LDADD)
tests_test_hostile_client_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_hostile_client_LDADD = $(ESHM_RELIABILITY_LDADD)
tests_test_fault_churn_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_fault_churn_LDADD = $(ESHM_RELIABILITY_LDADD)
tests_test_fault_stale_load_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_fault_stale_load_LDADD = $(ESHM_RELIABILITY_LDADD)
tests_test_fault_daemon_restart_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_fault_daemon_restart_LDADD = $(ESHM_RELIABILITY_LDADD)
tests_test_vandal_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_vandal_LDADD = $(ESHM_RELIABILITY_LDADD)
tests_test_container_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_container_LDADD = $(ESHM_RELIABILITY_LDADD)

# tests: common (unit tests of libeshm-common, no eshmd; the channel's
# blocks are sealed memfds as eshmd makes them, tests/memfd_util.h)
check_LTLIBRARIES += tests/libeshm-chantest.la
tests_libeshm_chantest_la_SOURCES = tests/memfd_util.h tests/memfd_util.c \
	tests/message_util.h tests/message_util.c
ESHM_COMMON_TESTS = tests/test_layout tests/test_proto tests/test_channel \
	tests/test_seqlock_stress tests/test_liveness_rule tests/test_chan_xproc \
	tests/test_spin
check_PROGRAMS += $(ESHM_COMMON_TESTS)
TESTS += $(ESHM_COMMON_TESTS)
ESHM_COMMON_TEST_LDADD = common/libeshm-common.la $(CMOCKA_LIBS) $(PTHREAD_LIBS)
ESHM_CHAN_TEST_LDADD = tests/libeshm-chantest.la tests/libeshm-harness.la \
	$(ESHM_COMMON_TEST_LDADD)
tests_test_layout_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_layout_LDADD = $(ESHM_CHAN_TEST_LDADD)
tests_test_proto_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_proto_LDADD = $(ESHM_COMMON_TEST_LDADD)
tests_test_channel_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_channel_LDADD = $(ESHM_CHAN_TEST_LDADD)
tests_test_seqlock_stress_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_seqlock_stress_LDADD = $(ESHM_CHAN_TEST_LDADD)
tests_test_liveness_rule_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_liveness_rule_LDADD = $(ESHM_COMMON_TEST_LDADD)
# the library's adaptive spin, a pure rule: built from its source
tests_test_spin_SOURCES = tests/test_spin.c libclient/spin.c libclient/spin.h
tests_test_spin_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/libclient
tests_test_spin_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_spin_LDADD = $(CMOCKA_LIBS)
tests_test_chan_xproc_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_chan_xproc_LDADD = $(ESHM_CHAN_TEST_LDADD)

# tests: core (integration against a private eshmd; tests/harness.h)
check_LTLIBRARIES += tests/libeshm-testutil.la
tests_libeshm_testutil_la_SOURCES = tests/client_util.h tests/client_util.c \
	tests/proc_util.h tests/proc_util.c \
	tests/endpoint_proc.h tests/endpoint_proc.c
tests_libeshm_testutil_la_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_libeshm_testutil_la_LIBADD = libclient/libeshm-client.la -lutil
ESHM_CORE_TESTS = tests/test_roles tests/test_exchange tests/test_liveness \
	tests/test_recovery tests/test_stress_xproc tests/test_bad_input
check_PROGRAMS += $(ESHM_CORE_TESTS)
TESTS += $(ESHM_CORE_TESTS)
ESHM_CORE_TEST_LDADD = tests/libeshm-testutil.la tests/libeshm-harness.la \
	libclient/libeshm-client.la common/libeshm-common.la $(CMOCKA_LIBS) $(PTHREAD_LIBS)
tests_test_roles_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_roles_LDADD = $(ESHM_CORE_TEST_LDADD)
tests_test_exchange_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_exchange_LDADD = $(ESHM_CORE_TEST_LDADD)
tests_test_liveness_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_liveness_LDADD = $(ESHM_CORE_TEST_LDADD)
tests_test_recovery_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_recovery_LDADD = $(ESHM_RELIABILITY_LDADD)
tests_test_stress_xproc_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_stress_xproc_LDADD = $(ESHM_CORE_TEST_LDADD)
tests_test_bad_input_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_bad_input_LDADD = $(ESHM_CORE_TEST_LDADD)

# tests: the data path and the client library under faults (real
# processes killed, stopped and forked; eshmd killed or replaced by a
# listener that never accepts; threads sharing handles)
ESHM_CLIENT_FAULT_TESTS = tests/test_write_syscalls tests/test_control_plane tests/test_fork \
	tests/test_peer_lifecycle tests/test_thread_safety
check_PROGRAMS += $(ESHM_CLIENT_FAULT_TESTS)
TESTS += $(ESHM_CLIENT_FAULT_TESTS)
tests_test_write_syscalls_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_write_syscalls_LDADD = $(ESHM_RELIABILITY_LDADD)
tests_test_control_plane_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_control_plane_LDADD = $(ESHM_RELIABILITY_LDADD)
tests_test_fork_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_fork_LDADD = $(ESHM_RELIABILITY_LDADD)
tests_test_peer_lifecycle_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_peer_lifecycle_LDADD = $(ESHM_RELIABILITY_LDADD)
tests_test_thread_safety_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_thread_safety_LDADD = $(ESHM_RELIABILITY_LDADD)

# tests: queue channels, observers, message metadata, the extended
# statistics, loans and read views across real processes
ESHM_CHANNEL2_TESTS = tests/test_queue tests/test_observer tests/test_zerocopy tests/test_wait \
	tests/test_events
check_PROGRAMS += $(ESHM_CHANNEL2_TESTS)
TESTS += $(ESHM_CHANNEL2_TESTS)
tests_test_queue_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_queue_LDADD = $(ESHM_CORE_TEST_LDADD)
tests_test_observer_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_observer_LDADD = $(ESHM_CORE_TEST_LDADD)
tests_test_zerocopy_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_zerocopy_LDADD = $(ESHM_CORE_TEST_LDADD)
tests_test_wait_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(PTHREAD_CFLAGS)
tests_test_wait_LDADD = $(ESHM_CORE_TEST_LDADD)
tests_test_events_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_events_LDADD = $(ESHM_CORE_TEST_LDADD)

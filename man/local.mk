# man/local.mk - the man pages, hand-written mdoc linted by
# tests/test_man_lint.sh.  Pages that only ".so" another document one more
# function of the same page.  Included by the top Makefile.am.
dist_man_MANS += \
	man/eshmd.8 \
	man/eshmctl.8 \
	man/eshmd.conf.5 \
	man/libeshm-client.3 \
	man/eshm_init.3 \
	man/eshm_init_with_options.3 \
	man/eshm_default_config.3 \
	man/eshm_last_error.3 \
	man/eshm_last_error_message.3 \
	man/eshm_destroy.3 \
	man/eshm_get_role.3 \
	man/eshm_write.3 \
	man/eshm_read.3 \
	man/eshm_read_timeout.3 \
	man/eshm_check_remote_alive.3 \
	man/eshm_get_stats.3 \
	man/eshm_error_string.3 \
	man/eshm_options_new.3 \
	man/eshm_options_free.3 \
	man/eshm_options_set_capacity.3 \
	man/eshm_options_set_heartbeat_period_us.3 \
	man/eshm_options_set_socket_path.3 \
	man/eshm_options_set_connect_timeout_ms.3 \
	man/eshm_options_set_takeover_stale_ms.3 \
	man/eshm_options_set_channel_mode.3 \
	man/eshm_options_set_queue_depth.3 \
	man/eshm_options_set_timestamps.3 \
	man/eshm_options_set_observed_role.3 \
	man/eshm_write_timeout.3 \
	man/eshm_read_ex.3 \
	man/eshm_get_stats_ex.3 \
	man/eshm_loan.3 \
	man/eshm_publish.3 \
	man/eshm_loan_cancel.3 \
	man/eshm_read_view.3 \
	man/eshm_read_release.3 \
	man/eshm_interrupt.3 \
	man/eshm_wait_remote.3 \
	man/eshm_read_until.3 \
	man/eshm_read_ex_until.3 \
	man/eshm_options_set_stand_in.3 \
	man/eshm_get_event_fd.3 \
	man/eshm_get_events.3

# eshm-bridge(8) is installed where the bridge is built, distributed always.
EXTRA_DIST += man/eshm-bridge.8
if ESHM_BRIDGE
man_MANS = man/eshm-bridge.8
endif

/*
 * test_bad_input.c - every public function refuses bad arguments with a
 * named error, and a corrupted or truncated segment is a named error too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "client_util.h"
#include "harness.h"
#include "layout.h"

static void
init_refused(const ESHMConfig *c, int expect)
{
	assert_null(eshm_init(c));
	assert_int_equal(eshm_last_error(), expect);
}

static void
bad_config_gets_named_errors(void **state)
{
	char longname[202];
	ESHMConfig c;

	assert_null(eshm_init(NULL));
	assert_int_equal(eshm_last_error(), ESHM_ERROR_INVALID_PARAM);

	c = eshm_default_config(NULL);
	init_refused(&c, ESHM_ERROR_NAME_INVALID);
	c = eshm_default_config("");
	init_refused(&c, ESHM_ERROR_NAME_INVALID);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	c = eshm_default_config(longname);
	init_refused(&c, ESHM_ERROR_NAME_INVALID);
	c = eshm_default_config("../etc/passwd");
	init_refused(&c, ESHM_ERROR_NAME_INVALID);
	c = eshm_default_config("a/b");
	init_refused(&c, ESHM_ERROR_NAME_INVALID);
	c = eshm_default_config("..");
	init_refused(&c, ESHM_ERROR_NAME_INVALID);
	c = eshm_default_config("tab\there");
	init_refused(&c, ESHM_ERROR_NAME_INVALID);

	c = eshm_default_config("bad_cfg");
	c.role = (ESHMRole)42;
	init_refused(&c, ESHM_ERROR_INVALID_PARAM);
	c = eshm_default_config("bad_cfg");
	c.disconnect_behavior = (ESHMDisconnectBehavior)9;
	init_refused(&c, ESHM_ERROR_INVALID_PARAM);
	/* 0 is no error: it asks for the segment's default (test_liveness) */
	c = eshm_default_config("bad_cfg");
	c.stale_threshold_ms = 600001;
	init_refused(&c, ESHM_ERROR_INVALID_PARAM);
}

static void
seed_custom_configuration_works_uninitialised(void **state)
{
	ESHMConfig config;
	ESHMHandle *handle;

	memset(&config, 0xab, sizeof(config)); /* what an uninitialised stack may hold */
	config.shm_name = "my_shm";
	config.role = ESHM_ROLE_MASTER;
	config.use_threads = true;
	config.stale_threshold_ms = 50;
	config.disconnect_behavior = ESHM_DISCONNECT_IMMEDIATELY;
	config.auto_cleanup = true;
	handle = eshm_init(&config);
	assert_non_null(handle);
	assert_int_equal(eshm_get_role(handle), ESHM_ROLE_MASTER);
	assert_int_equal(eshm_destroy(handle), ESHM_SUCCESS);
}

static void
null_and_zero_arguments_refused(void **state)
{
	ESHMHandle *h = tc_attach("bad_args", ESHM_ROLE_MASTER, 100, ESHM_DISCONNECT_NEVER);
	char buf[8];
	size_t n;
	bool alive;
	ESHMStats st;
	ESHMStats2 st2;
	ESHMMessageInfo info;

	assert_non_null(h);
	assert_int_equal(eshm_write(NULL, buf, 1), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_write(h, NULL, 1), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_write(h, buf, 0), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_read(NULL, buf, sizeof(buf), &n), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_read(h, NULL, sizeof(buf), &n), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_read(h, buf, 0, &n), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_read(h, buf, sizeof(buf), NULL), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_read_timeout(NULL, buf, sizeof(buf), &n, 1), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_read_timeout(h, buf, sizeof(buf), NULL, 1), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_check_remote_alive(NULL, &alive), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_check_remote_alive(h, NULL), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_get_stats(NULL, &st), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_get_stats(h, NULL), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_write_timeout(NULL, buf, 1, 1), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_write_timeout(h, NULL, 1, 1), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_write_timeout(h, buf, 0, 1), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_read_ex(NULL, buf, sizeof(buf), &info), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_read_ex(h, NULL, sizeof(buf), &info), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_read_ex(h, buf, 0, &info), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_read_ex(h, buf, sizeof(buf), NULL), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_get_stats_ex(NULL, &st2, sizeof(st2)), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_get_stats_ex(h, NULL, sizeof(st2)), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_get_stats_ex(h, &st2, sizeof(ESHMStats) - 1),
	                 ESHM_ERROR_INVALID_PARAM);
	assert_int_equal((int)eshm_get_role(NULL), -1);
	assert_int_equal(eshm_destroy(NULL), ESHM_SUCCESS);
	eshm_destroy(h);
}

static void
options_setters_validate_values(void **state)
{
	ESHMOptions *o = eshm_options_new();

	assert_non_null(o);
	assert_int_equal(eshm_options_set_capacity(o, 0), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_options_set_capacity(o, SEG_CAPACITY_MAX + 1), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_options_set_capacity(NULL, 64), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_options_set_capacity(o, 64), ESHM_SUCCESS);
	assert_int_equal(eshm_options_set_heartbeat_period_us(o, 99), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_options_set_heartbeat_period_us(o, 1000001), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_options_set_heartbeat_period_us(o, 1000), ESHM_SUCCESS);
	assert_int_equal(eshm_options_set_socket_path(o, NULL), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_options_set_socket_path(o, ""), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_options_set_connect_timeout_ms(o, 0), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_options_set_channel_mode(o, (ESHMChannelMode)2),
	                 ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_options_set_channel_mode(o, (ESHMChannelMode)-1),
	                 ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_options_set_channel_mode(NULL, ESHM_CHANNEL_QUEUE),
	                 ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_options_set_channel_mode(o, ESHM_CHANNEL_QUEUE), ESHM_SUCCESS);
	assert_int_equal(eshm_options_set_queue_depth(o, ESHM_QUEUE_DEPTH_MAX + 1),
	                 ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_options_set_queue_depth(NULL, 8), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_options_set_queue_depth(o, ESHM_QUEUE_DEPTH_MAX), ESHM_SUCCESS);
	assert_int_equal(eshm_options_set_queue_depth(o, 0), ESHM_SUCCESS);
	assert_int_equal(eshm_options_set_timestamps(NULL, true), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_options_set_observed_role(o, ESHM_ROLE_AUTO), ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_options_set_observed_role(o, ESHM_ROLE_OBSERVER),
	                 ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_options_set_observed_role(NULL, ESHM_ROLE_SLAVE),
	                 ESHM_ERROR_INVALID_PARAM);
	assert_int_equal(eshm_options_set_observed_role(o, ESHM_ROLE_SLAVE), ESHM_SUCCESS);
	assert_int_equal(eshm_options_set_timestamps(o, true), ESHM_SUCCESS);
	eshm_options_free(o);
	eshm_options_free(NULL);
}

static void
every_error_code_has_its_own_sentence(void **state)
{
	int code;

	for (code = ESHM_SUCCESS; code >= ESHM_ERROR_INTERRUPTED; code--) {
		const char *s = eshm_error_string(code);

		assert_non_null(s);
		assert_true(strlen(s) > 5);
		if (code < ESHM_SUCCESS)
			assert_string_not_equal(s, eshm_error_string(code + 1));
	}
	assert_non_null(eshm_error_string(-9999));
	assert_non_null(eshm_error_string(12345));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_config_gets_named_errors),
		cmocka_unit_test(seed_custom_configuration_works_uninitialised),
		cmocka_unit_test(null_and_zero_arguments_refused),
		cmocka_unit_test(options_setters_validate_values),
		cmocka_unit_test(every_error_code_has_its_own_sentence),
	};

	return cmocka_run_group_tests_name("bad_input", tests, th_group_setup, th_group_teardown);
}
